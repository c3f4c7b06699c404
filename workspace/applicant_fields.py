"""The applicant as a page's form gives them (收件登记 at the counter, 网上申报 from home): one reading of the
same fields for both."""

from __future__ import annotations

from collections.abc import Mapping

from runner.catalogue.applications import Applicant
from runner.catalogue.identity import ORGANISATION, PERSON


def applicant_from(form: Mapping[str, str]) -> Applicant:
    """The ``Applicant`` of the fields applicant_type, applicant_name, applicant_id, phone, agent_name, agent_id
    (not yet checked: ``Applicant.checked`` does that)."""
    return Applicant(
        name=form.get("applicant_name", ""),
        id_number=form.get("applicant_id", ""),
        phone=form.get("phone", ""),
        kind=ORGANISATION if form.get("applicant_type") == ORGANISATION else PERSON,
        agent_name=form.get("agent_name", ""),
        agent_id=form.get("agent_id", ""),
    )
