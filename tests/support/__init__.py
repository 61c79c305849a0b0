"""Helpers shared by the test folders: real local servers (SMTP, HTTP receiver, the web app)
and the browser widget driver."""
