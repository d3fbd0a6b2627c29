"""Home page."""

from fastapi import APIRouter, Request

from kuajing.web.render import render

router = APIRouter()


@router.get("/", name="home")
def home(request: Request):
    """The zone's front page."""
    return render(request, "home.html")
