from django.urls import path

from . import people_views, service_account_views, views

app_name = "accounts"
urlpatterns = [
    path("", people_views.people_list, name="people"),
    path("invite/", views.invite_person, name="invite"),
    path("<int:pk>/", people_views.person_detail, name="person"),
    path("<int:pk>/active/", people_views.person_active, name="person_active"),
    path("<int:pk>/invitation/", people_views.person_invitation, name="person_invitation"),
    path("service-accounts/", service_account_views.service_account_list,
         name="service_accounts"),
    path("service-accounts/<int:pk>/tokens/", service_account_views.service_account_token,
         name="service_account_token"),
    path("service-accounts/<int:pk>/tokens/<int:token_pk>/revoke/",
         service_account_views.service_token_revoke, name="service_token_revoke"),
    path("service-accounts/<int:pk>/deactivate/",
         service_account_views.service_account_deactivate, name="service_account_deactivate"),
]
