# One image for every service: docker compose runs it with `python -m services.<name>`.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY services ./services
COPY amarktai ./amarktai
RUN pip install --no-cache-dir .
RUN useradd --create-home amarktai
USER amarktai
CMD ["python", "-m", "services.run"]
