"""Placeholder: filled in by this area's work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
