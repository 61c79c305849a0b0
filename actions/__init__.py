"""Thin glue between Rasa and the library in src/: read the tracker, call the library,
return events and messages. Business rules live in src/ and config/, not here."""
