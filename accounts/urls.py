from django.urls import path

from . import people_views, views

app_name = "accounts"
urlpatterns = [
    path("", people_views.people_list, name="people"),
    path("invite/", views.invite_person, name="invite"),
    path("<int:pk>/", people_views.person_detail, name="person"),
    path("<int:pk>/active/", people_views.person_active, name="person_active"),
    path("<int:pk>/invitation/", people_views.person_invitation, name="person_invitation"),
]
