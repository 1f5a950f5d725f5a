from django.urls import path

from devotion.ingest import views

urlpatterns = [
    path("", views.imports, name="imports"),
    path("<int:run_id>/", views.import_run, name="import"),
    path("<int:run_id>/rejects.csv", views.import_rejects, name="import-rejects"),
    path("samples/<str:name>", views.import_sample, name="import-sample"),
]
