"""Rotation: how old each secret is and when it is due (`schedule`), two-slot switches
(`switch`), editing keeper dates (`bump`), the rotation that proposes itself (`autopilot`),
the incident playbook (`incident`), offboarding (`offboard`) and what they print
(`reports`). A new kind of rotation starts with the catalog's `Source`
(`envkeeper/config/catalog_model.py`) and `schedule`; docs/adding.md lists where else a
kind is read.

Imports `infra` and below.
"""
