from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tracker import learn


@require_safe
def learn_index(request):
    return render(request, "tracker/learn_index.html", {"pages": learn.all_pages()})


@require_safe
def learn_page(request, slug):
    page = learn.get_page(slug)
    if page is None:
        raise Http404("No such page.")
    related = [p for p in map(learn.get_page, page.related) if p]
    return render(request, "tracker/learn_page.html", {"page": page, "related": related})
