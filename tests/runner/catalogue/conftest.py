"""The catalogue's tests deploy the diagrams its demo items run on."""

from __future__ import annotations

import pytest

from tests.support.flow import deploy_library


@pytest.fixture
def library(services) -> None:
    deploy_library(
        services,
        "block_correction.bpmn",
        "block_refusal.bpmn",
        "block_escalation.bpmn",
        "chengnuo.bpmn",
        "lianban_chaogao.bpmn",
    )
