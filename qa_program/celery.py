"""The Celery app. Tasks live in each domain app's ``tasks.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qa_program.settings")

app = Celery("qa_program")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
