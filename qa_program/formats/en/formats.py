"""Display formats for the program's one language: a 24-hour clock everywhere.

Django's own English formats print "3:05 p.m."; a program whose auditors, leads and vendor
sites span time zones reads times on a 24-hour clock, dates year first. Only display formats
are set here; input formats stay Django's.
"""

DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
