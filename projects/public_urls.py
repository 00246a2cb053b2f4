from django.urls import path

from .views import disclosure_page

urlpatterns = [
    path("", disclosure_page, name="project-disclosure-page"),
    path("<int:year>/", disclosure_page, name="project-disclosure-year"),
]
