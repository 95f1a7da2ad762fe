"""Rotation: how old each secret is and when it is due (`schedule`), two-slot switches
(`switch`), editing keeper dates (`bump`), the rotation that proposes itself (`autopilot`),
the incident playbook (`incident`), offboarding (`offboard`) and what they print
(`reports`). A new kind of rotation starts in `schedule` and the catalog's `Source`.

Imports `infra` and below; never the Pulumi CLI (`engine`).
"""
