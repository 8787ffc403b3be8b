from django.urls import path

from . import views

app_name = "workorders"

urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    path("all/", views.WorkOrderListView.as_view(), name="list"),
    path("mine/", views.my_jobs, name="my_jobs"),
    path("new/<int:request_pk>/", views.work_order_create, name="create"),
    path("<int:pk>/", views.work_order_detail, name="detail"),
    path("<int:pk>/job/", views.work_order_job, name="job"),
    path("<int:pk>/assign/", views.work_order_assign, name="assign"),
    path("<int:pk>/step/<slug:step>/", views.WorkOrderStepView.as_view(), name="step"),
    path("<int:pk>/pdf/", views.work_order_pdf, name="pdf"),
    path("<int:pk>/fees/new/", views.fee_add, name="fee_add"),
    path("<int:pk>/fees/<int:line_pk>/delete/", views.fee_delete, name="fee_delete"),
    path("<int:pk>/fees/statement/", views.fee_statement, name="fee_statement"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/report/sign/", views.report_sign, name="report_sign"),
    path("<int:pk>/work-report/", views.work_report, name="work_report"),
    path("<int:pk>/work-report/pdf/", views.work_report_pdf, name="work_report_pdf"),
    path("<int:pk>/help/new/", views.help_create, name="help_create"),
    path("reports/<int:pk>/pdf/", views.report_pdf, name="report_pdf"),
    path("reports/verify/", views.report_verify, name="report_verify"),
    path("help/", views.HelpListView.as_view(), name="help_list"),
    path("help/<int:pk>/", views.help_detail, name="help_detail"),
    path("help/<int:pk>/approve/", views.help_approve, name="help_approve"),
    path("help/<int:pk>/pdf/", views.help_pdf, name="help_pdf"),
    path("help/<int:pk>/support/pdf/", views.support_pdf, name="support_pdf"),
    path("help/<int:pk>/reject/", views.HelpStepView.as_view(), {"step": "reject"}, name="help_reject"),
    path("help/<int:pk>/confirm/", views.HelpStepView.as_view(), {"step": "confirm"}, name="help_confirm"),
    path("help/<int:pk>/<slug:step>/", views.HelpStepView.as_view(), name="help_step"),
]
