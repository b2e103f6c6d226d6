"""URLs of the audit-form builder, included under /audits/forms/ in the audits namespace."""

from django.urls import path

from . import views as views

urlpatterns = [
    path("", views.form_list, name="form_list"),
    path("new/", views.form_create, name="form_create"),
    path("import/", views.form_import, name="form_import"),
    path("categories/", views.category_list, name="form_categories"),
    path("categories/<int:pk>/toggle/", views.category_toggle, name="form_category_toggle"),
    path("versions/<int:pk>/", views.version_detail, name="form_version"),
    path("versions/<int:pk>/export.json", views.version_export, name="form_version_export"),
    path("versions/<int:pk>/publish/", views.version_publish, name="form_version_publish"),
    path("versions/<int:pk>/retire/", views.version_retire, name="form_version_retire"),
    path("versions/<int:pk>/discard/", views.version_discard, name="form_version_discard"),
    path("versions/<int:pk>/settings/", views.version_settings, name="form_version_settings"),
    path("versions/<int:pk>/sections/", views.section_add, name="form_section_add"),
    path("sections/<int:pk>/", views.section_edit, name="form_section_edit"),
    path("sections/<int:pk>/questions/", views.question_add, name="form_question_add"),
    path("questions/<int:pk>/", views.question_edit, name="form_question_edit"),
    path("questions/<int:pk>/choices/", views.choice_add, name="form_choice_add"),
    path("choices/<int:pk>/", views.choice_edit, name="form_choice_edit"),
    path(
        "<str:part>/<int:pk>/<str:action>/",
        views.part_action,
        name="form_part_action",
    ),
    path("<slug:slug>/", views.form_detail, name="form_detail"),
    path("<slug:slug>/edit/", views.form_update, name="form_update"),
    path("<slug:slug>/draft/", views.draft_start, name="form_draft_start"),
    path("<slug:slug>/import/", views.form_import, name="form_import_version"),
]
