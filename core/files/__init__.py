"""Files and images attached to a message: read into the request within limits, labelled, with footers."""
