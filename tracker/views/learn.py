from django.http import Http404
from django.shortcuts import render

from tracker import learn


def learn_index(request):
    return render(request, "tracker/learn_index.html", {"pages": learn.all_pages()})


def learn_page(request, slug):
    page = learn.get_page(slug)
    if page is None:
        raise Http404("No such page.")
    related = [p for p in map(learn.get_page, page.related) if p]
    return render(request, "tracker/learn_page.html", {"page": page, "related": related})
