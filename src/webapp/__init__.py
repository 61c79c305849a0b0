"""The project's web app (Sanic): the tracking endpoint, static files and, later, the
rep endpoints and demo pages. `python -m webapp --host 127.0.0.1 --port 8000` runs it."""
