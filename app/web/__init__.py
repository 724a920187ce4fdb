"""The web pages the service serves itself: plain HTML, CSS and ES modules under static/."""
