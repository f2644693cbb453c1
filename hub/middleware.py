from django.utils import translation

from hub.permissions import member_of


class MemberLanguageMiddleware:
    """A signed-in member sees the site in the language of their settings, unless they switched it this session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        member = member_of(request.user)
        chose_this_session = request.COOKIES.get("django_language")
        if member and not chose_this_session and member.language != translation.get_language():
            translation.activate(member.language)
            request.LANGUAGE_CODE = member.language
        return self.get_response(request)
