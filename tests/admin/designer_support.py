"""Helpers of the designer tests: the 抄告制 library deployed, and edits of its XML as a modeler makes them."""

from __future__ import annotations

from typing import Any

from lxml import etree

import runner
from runner.core.conventions import BPMN_NS, SPIFF_NS
from tests.support.flow import deploy_library

CHAOGAO = "lianban_chaogao"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}


def deploy_chaogao(services: runner.Services) -> None:
    """The 抄告制 diagram with the building blocks it calls, as version 1."""
    deploy_library(services, "block_correction.bpmn", "block_refusal.bpmn", "lianban_chaogao.bpmn")


def _root(xml: str) -> Any:
    return etree.fromstring(xml.encode("utf-8"))


def _text(root: Any) -> str:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def set_property(xml: str, element_id: str, name: str, value: str) -> str:
    """Set one ``spiffworkflow:property`` of an element (adding the blocks it needs)."""
    root = _root(xml)
    (el,) = root.xpath(f"//*[@id='{element_id}']")
    ext = el.find("bpmn:extensionElements", NS)
    if ext is None:
        ext = etree.Element(f"{{{BPMN_NS}}}extensionElements")
        el.insert(0, ext)
    props = ext.find("spiffworkflow:properties", NS)
    if props is None:
        props = etree.SubElement(ext, f"{{{SPIFF_NS}}}properties")
    for prop in props.findall("spiffworkflow:property", NS):
        if prop.get("name") == name:
            prop.set("value", value)
            return _text(root)
    etree.SubElement(props, f"{{{SPIFF_NS}}}property", name=name, value=value)
    return _text(root)


def property_of(xml: str, element_id: str, name: str) -> str | None:
    root = _root(xml)
    (el,) = root.xpath(f"//*[@id='{element_id}']")
    for prop in el.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS):
        if prop.get("name") == name:
            return str(prop.get("value"))
    return None


def insert_user_task(xml: str, flow_id: str, task_id: str, lane_id: str, **props: str) -> str:
    """Put a new user task on sequence flow ``flow_id`` (source → task → old target) inside ``lane_id``."""
    root = _root(xml)
    (flow,) = root.xpath(f"//bpmn:sequenceFlow[@id='{flow_id}']", namespaces=NS)
    container = flow.getparent()
    target_id = flow.get("targetRef")
    (target,) = root.xpath(f"//*[@id='{target_id}']")
    new_flow_id = f"{flow_id}_{task_id}"
    flow.set("targetRef", task_id)
    for incoming in target.findall("bpmn:incoming", NS):
        if incoming.text == flow_id:
            incoming.text = new_flow_id
    task = etree.SubElement(container, f"{{{BPMN_NS}}}userTask", id=task_id, name="新增复核")
    if props:
        ext = etree.SubElement(task, f"{{{BPMN_NS}}}extensionElements")
        holder = etree.SubElement(ext, f"{{{SPIFF_NS}}}properties")
        for name, value in props.items():
            etree.SubElement(holder, f"{{{SPIFF_NS}}}property", name=name, value=value)
    etree.SubElement(task, f"{{{BPMN_NS}}}incoming").text = flow_id
    etree.SubElement(task, f"{{{BPMN_NS}}}outgoing").text = new_flow_id
    etree.SubElement(
        container, f"{{{BPMN_NS}}}sequenceFlow", id=new_flow_id, sourceRef=task_id, targetRef=target_id
    )
    (lane,) = root.xpath(f"//bpmn:lane[@id='{lane_id}']", namespaces=NS)
    etree.SubElement(lane, f"{{{BPMN_NS}}}flowNodeRef").text = task_id
    return _text(root)
