/* Stripe.js on the buyer's pages (checkout, quote, invoice, update link), loaded only on Stripe and only
   where the page has a payment form ([data-stripe-card], web/public/_stripe_card.html):
   - Stripe's Card Element is mounted in the field's labelled container: the card is typed into Stripe's
     own fields and never reaches Recurra (PCI SAQ A).
   - On submit: the page's SetupIntent endpoint is asked (POST, with the form's own fields and CSRF
     token), the card is confirmed with stripe.confirmCardSetup (its 3-D Secure included), and the
     method it made (pm_…) goes into the form's hidden token field; then the form is posted as always.
     An error (the server's message, or Stripe's) is shown in the field's alert region; nothing is posted.
   - A page answered with a payment the buyer's bank wants authenticated (data-action-secret) runs
     stripe.confirmCardPayment at once and then posts the same form again (same attempt), so the server
     records the outcome; one whose authentication got no answer from Stripe shows why, and "Pay" asks
     again.
   No inline script anywhere (the Content-Security-Policy allows none). */
(function () {
  "use strict";
  var box = document.querySelector("[data-stripe-card]");
  if (!box || typeof window.Stripe !== "function") return;
  var form = box.closest("form");
  var field = box.querySelector('input[type="hidden"][name="' + box.dataset.tokenField + '"]');
  var shown = box.querySelector("[data-stripe-error]");
  var failed = box.dataset.failedText;
  var stripe = window.Stripe(box.dataset.stripeKey);
  var card = stripe.elements().create("card");
  var secret = box.dataset.actionSecret || "";
  var busy = false;
  card.mount(box.querySelector(".card-element"));

  function show(message) {
    shown.textContent = message || "";
    box.classList.toggle("has-error", Boolean(message));
  }
  function wait(on) {
    busy = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (button) { button.disabled = on; });
  }
  function post() {
    wait(true);
    HTMLFormElement.prototype.submit.call(form); // no submit event: straight to the server
  }
  function stop(error) {
    wait(false);
    show((error && error.message) || failed);
  }

  function authenticate() {
    wait(true);
    show("");
    stripe.confirmCardPayment(secret).then(function (result) {
      // Authenticated, or failed with the intent back: the server records what happened.
      if (!result.error || result.error.payment_intent) return post();
      stop(result.error);
    }, stop);
  }

  function saveCard() {
    wait(true);
    show("");
    fetch(box.dataset.setupUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok || !body.client_secret) throw new Error(body.message || failed);
          return stripe.confirmCardSetup(body.client_secret, { payment_method: { card: card } });
        });
      })
      .then(function (result) {
        if (result.error) throw new Error(result.error.message || failed);
        field.value = result.setupIntent.payment_method;
        post();
      })
      .catch(stop);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    if (secret) authenticate();
    else saveCard();
  });
  if (secret) authenticate();
})();
