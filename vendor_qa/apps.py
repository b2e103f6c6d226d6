from django.apps import AppConfig


class VendorQAConfig(AppConfig):
    name = "vendor_qa"
    verbose_name = "Vendor-reported QA"
