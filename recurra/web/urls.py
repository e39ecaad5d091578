"""The web app's pages. Every view is wrapped in a role check from ``recurra.web.access``."""

from django.urls import path

from recurra.web.views import (
    auth,
    checkout,
    clock,
    companies,
    contacts,
    deals,
    emails,
    exports,
    invoices,
    lists,
    payment_links,
    payments,
    products,
    public,
    public_quote,
    quotes,
    record_search,
    record_subscriptions,
    saved_views,
    settings,
    stripe_setup,
    stripe_webhook,
    subscription_edit,
    subscription_index,
    subscription_new,
    subscription_owners,
    subscriptions,
    unsubscribe,
    update_link,
    webhooks,
    workflows,
)

app_name = "web"


def crud(prefix: str, name: str, module: object, plural: str) -> list:
    """The list, new, detail, edit and delete URLs of one record type."""
    return [
        path(f"{prefix}/", getattr(module, f"{name}_list"), name=plural),
        path(f"{prefix}/new/", getattr(module, f"{name}_create"), name=f"{name}_new"),
        path(f"{prefix}/<str:pk>/", getattr(module, f"{name}_detail"), name=name),
        path(f"{prefix}/<str:pk>/edit/", getattr(module, f"{name}_edit"), name=f"{name}_edit"),
        path(f"{prefix}/<str:pk>/delete/", getattr(module, f"{name}_delete"), name=f"{name}_delete"),
    ]


urlpatterns = [
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("", auth.home, name="home"),
    path("deals/line-items/new/", deals.line_item_row, name="deal_line_item_row"),
    path("contacts/search/", record_search.contact_search, name="contact_search"),  # before <pk>
    *crud("contacts", "contact", contacts, "contacts"),
    path(
        "contacts/<str:pk>/subscriptions/associate/",
        contacts.contact_subscription_associate,
        name="contact_subscription_associate",
    ),
    path("companies/search/", record_search.company_search, name="company_search"),  # before <pk>
    *crud("companies", "company", companies, "companies"),
    path(
        "companies/<str:pk>/subscriptions/associate/",
        companies.company_subscription_associate,
        name="company_subscription_associate",
    ),
    path("lists/add-members/", lists.list_members_add, name="list_members_add"),  # before <pk>
    *crud("lists", "list", lists, "lists"),
    path("lists/<str:pk>/snapshot/", lists.list_snapshot, name="list_snapshot"),
    path("lists/<str:pk>/email/", lists.list_email, name="list_email"),
    path("list-emails/<str:pk>/", lists.list_email_progress, name="list_email_progress"),
    path("lists/<str:pk>/members/remove/", lists.list_member_remove, name="list_member_remove"),
    *crud("deals", "deal", deals, "deals"),
    path("deals/<str:pk>/convert/", deals.deal_convert, name="deal_convert"),
    path(
        "deals/<str:pk>/subscriptions/associate/",
        deals.deal_subscription_associate,
        name="deal_subscription_associate",
    ),
    *crud("payment-links", "payment_link", payment_links, "payment_links"),
    path(
        "payment-links/<str:pk>/activate/", payment_links.payment_link_activate, name="payment_link_activate"
    ),
    path(
        "payment-links/<str:pk>/deactivate/",
        payment_links.payment_link_deactivate,
        name="payment_link_deactivate",
    ),
    *crud("products", "product", products, "products"),
    path("products/<str:pk>/archive/", products.product_archive, name="product_archive"),
    path("products/<str:pk>/restore/", products.product_restore, name="product_restore"),
    path("settings/", settings.settings_home, name="settings"),
    path("settings/account/", settings.account_edit, name="settings_account"),
    path("settings/profile/", settings.profile_edit, name="settings_profile"),
    path("settings/notifications/", settings.notifications_edit, name="settings_notifications"),
    path("settings/dunning/", settings.dunning_edit, name="settings_dunning"),
    path("settings/payments/", settings.payments_settings, name="settings_payments"),
    path("settings/api-keys/", settings.api_key_list, name="api_keys"),
    path("settings/api-keys/new/", settings.api_key_create, name="api_key_new"),
    path("settings/api-keys/<str:pk>/revoke/", settings.api_key_revoke, name="api_key_revoke"),
    path("settings/webhooks/", webhooks.endpoint_list, name="webhooks"),
    path("settings/webhooks/new/", webhooks.endpoint_new, name="webhook_new"),
    path("settings/webhooks/<str:pk>/", webhooks.endpoint_detail, name="webhook_endpoint"),
    path("settings/webhooks/<str:pk>/reveal/", webhooks.endpoint_reveal, name="webhook_reveal"),
    path("settings/webhooks/<str:pk>/rotate/", webhooks.endpoint_rotate, name="webhook_rotate"),
    path("settings/webhooks/<str:pk>/test/", webhooks.endpoint_test, name="webhook_test"),
    path("settings/webhooks/<str:pk>/toggle/", webhooks.endpoint_toggle, name="webhook_toggle"),
    path("settings/webhooks/<str:pk>/delete/", webhooks.endpoint_delete, name="webhook_delete"),
    path("settings/webhook-deliveries/<str:pk>/", webhooks.delivery_detail, name="webhook_delivery"),
    path(
        "settings/webhook-deliveries/<str:pk>/retry/", webhooks.delivery_retry, name="webhook_delivery_retry"
    ),
    path(
        "settings/webhook-deliveries/<str:pk>/resend/",
        webhooks.delivery_resend,
        name="webhook_delivery_resend",
    ),
    path("settings/users/", settings.user_list, name="users"),
    path("settings/users/new/", settings.user_create, name="user_new"),
    path("settings/users/<int:pk>/role/", settings.user_role, name="user_role"),
    path("subscriptions/", subscription_index.subscription_list, name="subscriptions"),
    # before <pk>:
    path("subscriptions/new/", subscription_new.subscription_new, name="subscription_new"),
    path(
        "subscriptions/new/payment-link/",
        subscription_new.subscription_new_link,
        name="subscription_new_link",
    ),
    path("subscriptions/count/", subscription_index.subscription_count, name="subscription_count"),
    path(
        "subscriptions/owners/",
        subscription_owners.subscription_owners_assign,
        name="subscription_owners_assign",
    ),
    path("subscriptions/search/", record_search.subscription_search, name="subscription_search"),
    path("views/", saved_views.saved_view_create, name="saved_view_create"),
    path("views/<str:pk>/update/", saved_views.saved_view_update, name="saved_view_update"),
    path("views/<str:pk>/rename/", saved_views.saved_view_rename, name="saved_view_rename"),
    path("views/<str:pk>/delete/", saved_views.saved_view_delete, name="saved_view_delete"),
    path("subscriptions/<str:pk>/", subscriptions.subscription_detail, name="subscription"),
    path("subscriptions/<str:pk>/panel/", subscription_index.subscription_panel, name="subscription_panel"),
    path("subscriptions/<str:pk>/retry/", subscriptions.subscription_retry, name="subscription_retry"),
    path(
        "subscriptions/<str:pk>/preview/",
        record_subscriptions.subscription_preview,
        name="subscription_preview",
    ),
    path("subscriptions/<str:pk>/pause/", subscriptions.subscription_pause, name="subscription_pause"),
    path("subscriptions/<str:pk>/resume/", subscriptions.subscription_resume, name="subscription_resume"),
    path("subscriptions/<str:pk>/cancel/", subscriptions.subscription_cancel, name="subscription_cancel"),
    path(
        "subscriptions/<str:pk>/undo-cancel/",
        subscriptions.subscription_undo_cancel,
        name="subscription_undo_cancel",
    ),
    path("subscriptions/<str:pk>/delete/", subscriptions.subscription_delete, name="subscription_delete"),
    path("subscriptions/<str:pk>/edit/", subscription_edit.subscription_edit, name="subscription_edit"),
    path(
        "subscriptions/<str:pk>/edit/line-items/new/",
        subscription_edit.line_item_row,
        name="subscription_edit_line_item_row",
    ),
    path(
        "subscriptions/<str:pk>/send-update-link/",
        update_link.subscription_update_link_send,
        name="subscription_update_link_send",
    ),
    path("workflows/", workflows.workflow_list, name="workflows"),
    path("workflows/new/", workflows.workflow_new, name="workflow_new"),
    path("workflows/<str:pk>/", workflows.workflow_detail, name="workflow"),
    path("workflows/<str:pk>/edit/", workflows.workflow_edit, name="workflow_edit"),
    path("workflows/<str:pk>/toggle/", workflows.workflow_toggle, name="workflow_toggle"),
    path("workflows/<str:pk>/test/", workflows.workflow_test_run, name="workflow_test"),
    path("workflows/<str:pk>/history/", workflows.workflow_history, name="workflow_history"),
    path("workflows/<str:pk>/delete/", workflows.workflow_delete, name="workflow_delete"),
    path("exports/", exports.export_list, name="exports"),
    path("exports/new/", exports.export_new, name="export_new"),
    path("exports/<str:pk>/", exports.export_detail, name="export"),
    path("exports/<str:pk>/download/", exports.export_download, name="export_download"),
    path("invoices/", invoices.invoice_list, name="invoices"),
    path("invoices/<str:pk>/", invoices.invoice_detail, name="invoice"),
    path("invoices/<str:pk>/pdf/", invoices.invoice_pdf, name="invoice_pdf"),
    path("invoices/<str:pk>/mark-paid/", invoices.invoice_mark_paid, name="invoice_mark_paid"),
    path("payments/", payments.payment_list, name="payments"),
    path("payments/<str:pk>/", payments.payment_detail, name="payment"),
    path("payments/<str:pk>/refund/", payments.payment_refund, name="payment_refund"),
    path("payments/<str:pk>/retry/", payments.payment_retry, name="payment_retry"),
    path("emails/", emails.email_list, name="emails"),
    path("emails/<str:pk>/", emails.email_detail, name="email"),
    path("emails/<str:pk>/html/", emails.email_html, name="email_html"),
    path("clock/advance/", clock.clock_advance, name="clock_advance"),
    # The buyer's page: no sign-in, no role (public like login and logout).
    path("deals/<str:pk>/quotes/new/", quotes.quote_new, name="quote_new"),
    path("quotes/<str:pk>/publish/", quotes.quote_publish, name="quote_publish"),
    path("quotes/<str:pk>/convert/", quotes.quote_convert, name="quote_convert"),
    path("pay/invoices/<str:token>/", public.public_invoice, name="public_invoice"),
    path("buy/<str:token>/", checkout.checkout_page, name="checkout"),
    path("q/<str:token>/", public_quote.quote_page, name="public_quote"),
    path(
        "update-payment-method/<str:token>/", update_link.update_payment_method, name="update_payment_method"
    ),
    # A contact's unsubscribe page (email to lists); also RFC 8058's one-click POST, without CSRF.
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe_page, name="unsubscribe"),
    # Each buyer page's SetupIntent for Stripe.js, scoped like its page (views/stripe_setup.py).
    path(
        "pay/invoices/<str:token>/setup-intent/",
        stripe_setup.invoice_setup_intent,
        name="invoice_setup_intent",
    ),
    path("buy/<str:token>/setup-intent/", stripe_setup.checkout_setup_intent, name="checkout_setup_intent"),
    path("q/<str:token>/setup-intent/", stripe_setup.quote_setup_intent, name="quote_setup_intent"),
    path(
        "update-payment-method/<str:token>/setup-intent/",
        stripe_setup.update_link_setup_intent,
        name="update_link_setup_intent",
    ),
    # Stripe's events: no sign-in, no role, no CSRF token; each delivery's signature is checked.
    path("webhooks/stripe", stripe_webhook.stripe_webhook, name="stripe_webhook"),
]
