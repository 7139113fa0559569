from django.urls import path

from watchlist import views

app_name = "watchlist"

urlpatterns = [
    path("watchlists/", views.watchlists, name="watchlists"),
    path("watchlists/new/", views.watchlist_create, name="create"),
    path("watchlists/add/", views.item_add, name="add"),
    path("watchlists/<int:watchlist_id>/rename/", views.watchlist_rename, name="rename"),
    path("watchlists/<int:watchlist_id>/move/", views.watchlist_move, name="move"),
    path("watchlists/<int:watchlist_id>/delete/", views.watchlist_delete, name="delete"),
    path("watchlists/<int:watchlist_id>/stocks/<str:code>/edit/", views.item_edit, name="item-edit"),
    path("watchlists/<int:watchlist_id>/stocks/<str:code>/move/", views.item_move, name="item-move"),
    path("watchlists/<int:watchlist_id>/stocks/<str:code>/remove/", views.item_remove, name="item-remove"),
]
