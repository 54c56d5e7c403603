"""The shared core of the web app: extensions, configuration, time, request-wide behaviour,
form and error basics, uploads, languages and printing. It imports no feature."""
