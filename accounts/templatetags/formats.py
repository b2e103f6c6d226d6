"""The program's one set of format filters (``accounts.formats``) for templates:
``{% load formats %}`` then ``|percent``, ``|points``, ``|pct``, ``|plusminus``, ``|day``,
``|score``."""

from django import template

from accounts import formats

register = template.Library()

register.filter("percent", formats.percent)
register.filter("points", formats.points)
register.filter("pct", formats.setting_percent)
register.filter("plusminus", formats.plus_minus)
register.filter("day", formats.day)
register.filter("age", formats.age)
register.filter("score", formats.score)
