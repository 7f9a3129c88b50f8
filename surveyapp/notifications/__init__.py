"""Notifications: the inbox every user reads, and optional e-mail through an outbox.

A capability above tells people things by handing :func:`inbox.notify` the recipients, a message kind it
registered (:func:`inbox.register`) with its parameters, and the page the message leads to; this package
knows nothing of findings, visits or notices.
"""
