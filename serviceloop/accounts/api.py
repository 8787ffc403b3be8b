"""API v1: reference data (branches, departments, skills), engineers, and API tokens."""

from __future__ import annotations

import django_filters
from django.core.exceptions import NON_FIELD_ERRORS
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from serviceloop.core.api import (
    DETAIL_SCHEMA,
    FIELD_ERRORS_SCHEMA,
    GatedAutoSchema,
    GatedReadOnlyViewSet,
)
from serviceloop.core.forms import RateLimitedAuthenticationForm

from .models import Branch, Department, EngineerProfile, EngineerSkill, Skill


class BranchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "code", "name", "region", "city", "is_headquarters"]


class BranchViewSet(GatedReadOnlyViewSet):
    """销售分公司/区域 (read-only reference data)."""

    model = Branch
    serializer_class = BranchSerializer
    filterset_fields = ["is_headquarters"]
    search_fields = ["code", "name", "city", "region"]
    ordering_fields = ["code", "name", "city"]
    ordering = ["code"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name"]


class DepartmentViewSet(GatedReadOnlyViewSet):
    """部门 (read-only reference data)."""

    model = Department
    serializer_class = DepartmentSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "code", "name"]


class SkillViewSet(GatedReadOnlyViewSet):
    """Engineer skills (read-only reference data)."""

    model = Skill
    serializer_class = SkillSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]


class EngineerSkillSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="skill.code", read_only=True)
    name = serializers.CharField(source="skill.name", read_only=True)

    class Meta:
        model = EngineerSkill
        fields = ["skill", "code", "name", "level"]


class EngineerSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.SerializerMethodField()
    branch = serializers.PrimaryKeyRelatedField(source="user.branch", read_only=True, allow_null=True)
    department = serializers.PrimaryKeyRelatedField(source="user.department", read_only=True, allow_null=True)
    skills = EngineerSkillSerializer(many=True, read_only=True)

    class Meta:
        model = EngineerProfile
        fields = ["id", "user", "username", "name", "branch", "department", "home_city", "home_latitude",
                  "home_longitude", "phone", "active", "skills"]

    def get_name(self, obj: EngineerProfile) -> str:
        return str(obj.user)


class EngineerFilter(django_filters.FilterSet):
    branch = django_filters.ModelChoiceFilter(field_name="user__branch", queryset=Branch.objects.all())
    skill = django_filters.ModelChoiceFilter(field_name="skills__skill", queryset=Skill.objects.all(), distinct=True)

    class Meta:
        model = EngineerProfile
        fields = ["active", "branch", "skill"]


class EngineerViewSet(GatedReadOnlyViewSet):
    """Field engineers with their skills; branch staff see their branch's engineers."""

    model = EngineerProfile
    serializer_class = EngineerSerializer
    filterset_class = EngineerFilter
    search_fields = ["user__username", "user__display_name", "home_city", "phone"]
    ordering_fields = ["id", "home_city"]
    ordering = ["id"]

    def base_queryset(self):
        return EngineerProfile.objects.select_related("user").prefetch_related("skills__skill")


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as the header 'Authorization: Token <token>'.")


class TooManyLogins(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked"


class ObtainTokenView(APIView):
    """POST user name and password, get the API token; the web login's rate limit applies."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    schema = GatedAutoSchema()

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(FIELD_ERRORS_SCHEMA, description="Wrong user name or password."),
            429: OpenApiResponse(DETAIL_SCHEMA, description="Too many failed logins."),
        },
        auth=[],
        operation_id="auth_token_create",
        tags=["auth"],
    )
    def post(self, request):
        payload = TokenRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        form = RateLimitedAuthenticationForm(request._request, data=payload.validated_data)
        if not form.is_valid():
            if form.has_error(NON_FIELD_ERRORS, code="locked"):
                raise TooManyLogins(form.errors[NON_FIELD_ERRORS][0])
            errors = {("non_field_errors" if key == NON_FIELD_ERRORS else key): messages
                      for key, messages in form.errors.items()}
            raise exceptions.ValidationError(errors)
        token, _created = Token.objects.get_or_create(user=form.get_user())
        return Response({"token": token.key})
