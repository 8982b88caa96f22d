"""WSGI entry point: `gunicorn --preload wsgi:app` (preload loads jieba once, before workers fork)."""

from webapp import create_app

app = create_app()
