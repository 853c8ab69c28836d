"""The screens: start, wiring, triage, verdict, confirmation, fix progress, end, quit-while-writing."""
