from django.urls import path

from . import views

app_name = "calibration"
urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("new/", views.session_new, name="session_new"),
    path("reliability/", views.reliability, name="reliability"),
    path("<int:pk>/", views.session_detail, name="session_detail"),
    path("<int:pk>/items/<int:item_pk>/score/", views.item_score, name="item_score"),
    path("<int:pk>/items/<int:item_pk>/gold/", views.item_gold, name="item_gold"),
    path("<int:pk>/questions/<slug:key>/", views.question_decision, name="question_decision"),
    path("<int:pk>/<slug:step>/", views.session_step, name="session_step"),
]
