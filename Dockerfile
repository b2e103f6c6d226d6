# The application image: web (gunicorn), worker and beat all run it with different commands.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    QA_MEDIA_ROOT=/data/media

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .
# Static files are collected into the image and served by WhiteNoise. The settings refuse
# to load without a secret key; this one exists only for this build step.
RUN DJANGO_SECRET_KEY=collectstatic-build-step-only python manage.py collectstatic --noinput

RUN useradd --create-home --uid 10001 qa \
    && mkdir -p /data/media \
    && chown qa /data/media
USER qa

EXPOSE 8000
CMD ["gunicorn", "qa_program.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
