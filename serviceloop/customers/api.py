from rest_framework import serializers

from serviceloop.accounts.models import Branch
from serviceloop.core.api import GatedModelViewSet, GatedRelatedField

from . import services
from .filters import CustomerFilter
from .models import Contact, Customer, Site


class CustomerSerializer(serializers.ModelSerializer):
    branch = GatedRelatedField(queryset=Branch.objects.all())

    class Meta:
        model = Customer
        fields = ["id", "code", "name", "level", "branch", "address", "phone", "note", "version", "updated_at"]
        read_only_fields = ["version", "updated_at"]


class CustomerViewSet(GatedModelViewSet):
    model = Customer
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    search_fields = ["code", "name", "phone"]
    ordering_fields = ["code", "name", "level"]
    ordering = ["code"]

    def base_queryset(self):
        return Customer.objects.select_related("branch")

    def perform_create(self, serializer):
        serializer.instance = services.customer_save(user=self.request.user, instance=Customer(**serializer.validated_data))

    def perform_update(self, serializer):
        instance = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(instance, key, value)
        services.customer_save(user=self.request.user, instance=instance,
                               expected_version=_expected_version(self.request, instance))


def _expected_version(request, instance):
    raw = request.data.get("version") if hasattr(request.data, "get") else None
    try:
        return int(raw) if raw is not None else instance.version
    except (TypeError, ValueError):
        return instance.version


class SiteSerializer(serializers.ModelSerializer):
    customer = GatedRelatedField(queryset=Customer.objects.all())

    class Meta:
        model = Site
        fields = ["id", "customer", "name", "city", "address", "latitude", "longitude", "version"]
        read_only_fields = ["version"]


class SiteViewSet(GatedModelViewSet):
    model = Site
    serializer_class = SiteSerializer
    filterset_fields = ["customer"]
    search_fields = ["name", "city"]
    ordering_fields = ["name"]
    ordering = ["name"]


class ContactSerializer(serializers.ModelSerializer):
    customer = GatedRelatedField(queryset=Customer.objects.all())
    site = GatedRelatedField(queryset=Site.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Contact
        fields = ["id", "customer", "site", "name", "title", "phone", "email", "is_primary", "version"]
        read_only_fields = ["version"]


class ContactViewSet(GatedModelViewSet):
    model = Contact
    serializer_class = ContactSerializer
    filterset_fields = ["customer"]
    search_fields = ["name", "phone", "email"]
    ordering_fields = ["name"]
    ordering = ["name"]
