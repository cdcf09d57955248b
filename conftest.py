"""Root conftest: the project's own tests drive pytest in a subprocess with ``pytester``.

The wirecert plugin itself is loaded through its ``pytest11`` entry point
(``pip install -e .``), exactly as a user's installation loads it.
"""

pytest_plugins = ["pytester"]
