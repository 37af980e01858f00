"""The demo: its local web server (:mod:`.web`) and, in the wheel, a copy of ``example_project/``."""
