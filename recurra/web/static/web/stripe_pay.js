/* Stripe.js on the buyer's pages (checkout, quote, invoice, update link), loaded only on Stripe and only
   where the page has a payment form ([data-stripe-card], web/public/_stripe_card.html):
   - Stripe's Card Element is mounted in the field's labelled container: the card is typed into Stripe's
     own fields and never reaches Recurra (PCI SAQ A).
   - A page in euros that allows SEPA Direct Debit has a "Card" / "SEPA Direct Debit" radio group (or
     SEPA alone): the chosen one's panel is shown. The IBAN field has no name, so the form never posts
     it; it goes to Stripe only, with the account holder's name and email (the page's buyer fields, or
     the panel's own).
   - On submit: the page's SetupIntent endpoint is asked (POST, with the form's own fields, CSRF token
     and type: card or sepa_debit), the card is confirmed with stripe.confirmCardSetup (its 3-D Secure
     included) or the IBAN with stripe.confirmSepaDebitSetup, and the method it made (pm_…) goes into
     the form's hidden token field; then the form is posted as always. An error (the server's message,
     or Stripe's) is shown in the field's alert region; nothing is posted.
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
  // Stripe's own words (the card field's placeholders, its errors) in the page's language.
  var locale = box.dataset.stripeLocale || "auto";
  var stripe = window.Stripe(box.dataset.stripeKey, { locale: locale });
  var cardBox = box.querySelector(".card-element");
  var card = cardBox ? stripe.elements({ locale: locale }).create("card") : null;
  var iban = box.querySelector("[data-iban]");
  var choices = box.querySelectorAll("[data-method-choice]");
  var secret = box.dataset.actionSecret || "";
  var busy = false;
  if (card) card.mount(cardBox);

  function chosen() {
    var picked = box.querySelector("[data-method-choice]:checked");
    if (picked) return picked.value;
    return card ? "card" : "sepa_debit";
  }
  function showChosen() {
    var kind = chosen();
    Array.prototype.forEach.call(box.querySelectorAll("[data-method]"), function (panel) {
      panel.hidden = panel.dataset.method !== kind;
    });
  }
  Array.prototype.forEach.call(choices, function (choice) {
    choice.addEventListener("change", function () { show(""); showChosen(); });
  });
  if (iban) iban.addEventListener("input", function () { if (!busy) show(""); });

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

  /* The IBAN's own check (ISO 13616: letters to numbers, the whole mod 97 is 1), before Stripe's. */
  function ibanLooksRight(value) {
    if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(value)) return false;
    var digits = (value.slice(4) + value.slice(0, 4)).replace(/[A-Z]/g, function (letter) {
      return String(letter.charCodeAt(0) - 55);
    });
    var rest = 0;
    for (var i = 0; i < digits.length; i++) rest = (rest * 10 + Number(digits[i])) % 97;
    return rest === 1;
  }
  function typed(input) {
    return input ? input.value.trim() : "";
  }
  /* Stripe.js's SEPA details: the IBAN typed (never posted) and the account holder's name and email:
     the panel's own fields where it has them, else the page's buyer fields. */
  function sepaDetails() {
    var number = iban.value.replace(/\s+/g, "").toUpperCase();
    var ownName = box.querySelector("[data-holder-name]");
    var name = ownName
      ? typed(ownName)
      : [typed(form.elements.namedItem("first_name")), typed(form.elements.namedItem("last_name"))]
        .join(" ").trim();
    var email = typed(box.querySelector("[data-holder-email]") || form.elements.namedItem("email"));
    if (!ibanLooksRight(number)) {
      iban.focus();
      throw new Error(box.dataset.ibanText);
    }
    if (!name || !email) throw new Error(box.dataset.holderText);
    return { sepa_debit: { iban: number }, billing_details: { name: name, email: email } };
  }

  function save() {
    var kind = chosen();
    var sepa;
    show("");
    try {
      sepa = kind === "sepa_debit" ? sepaDetails() : null;
    } catch (error) {
      show(error.message);
      return;
    }
    var unchecked = sepa ? box.dataset.sepaFailedText : failed;
    var body = new FormData(form);
    body.set("type", kind);
    wait(true);
    fetch(box.dataset.setupUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (!response.ok || !answer.client_secret) throw new Error(answer.message || unchecked);
          if (sepa) return stripe.confirmSepaDebitSetup(answer.client_secret, { payment_method: sepa });
          return stripe.confirmCardSetup(answer.client_secret, { payment_method: { card: card } });
        });
      })
      .then(function (result) {
        if (result.error) throw new Error(result.error.message || unchecked);
        field.value = result.setupIntent.payment_method;
        post();
      })
      .catch(function (error) {
        wait(false);
        show((error && error.message) || unchecked);
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    if (secret) authenticate();
    else save();
  });
  showChosen();
  if (secret) authenticate();
})();
