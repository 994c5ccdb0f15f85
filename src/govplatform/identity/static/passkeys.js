// Passkeys (WebAuthn) on the sign-in, sign-up and account pages: a progressive enhancement.
//
// A page that offers a passkey renders its form hidden (`data-passkey`, with the server's options as JSON in
// `data-passkey-options`) and an explanation shown (`data-passkey-unsupported`). Where this script runs and
// the browser has WebAuthn, the form is shown and the explanation hidden. Pressing the button runs the
// ceremony and posts the result in the same form, with its CSRF token, as a normal form post: the credential
// as JSON in `credential`, or the browser's error name in `problem`, so every answer is a page from the server.
// Without JavaScript nothing here runs, and the page says how to sign in another way.

const decode = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
};

const encode = (buffer) => {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const descriptors = (list) => (list || []).map((item) => ({ ...item, id: decode(item.id) }));

const creationOptions = (json) => ({
  ...json,
  challenge: decode(json.challenge),
  user: { ...json.user, id: decode(json.user.id) },
  excludeCredentials: descriptors(json.excludeCredentials),
});

const requestOptions = (json) => ({
  ...json,
  challenge: decode(json.challenge),
  allowCredentials: descriptors(json.allowCredentials),
});

// The JSON shape of WebAuthn level 3's toJSON(), written out so that browsers without it give the same.
const asJSON = (credential) => {
  const response = credential.response;
  const common = {
    id: credential.id,
    rawId: encode(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || null,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
  if (response.attestationObject) {
    const transports = typeof response.getTransports === "function" ? response.getTransports() : [];
    return {
      ...common,
      response: {
        clientDataJSON: encode(response.clientDataJSON),
        attestationObject: encode(response.attestationObject),
        transports,
      },
    };
  }
  return {
    ...common,
    response: {
      clientDataJSON: encode(response.clientDataJSON),
      authenticatorData: encode(response.authenticatorData),
      signature: encode(response.signature),
      userHandle: response.userHandle ? encode(response.userHandle) : null,
    },
  };
};

const ceremony = async (form) => {
  const options = JSON.parse(form.dataset.passkeyOptions);
  try {
    const credential =
      form.dataset.passkey === "create"
        ? await navigator.credentials.create({ publicKey: creationOptions(options) })
        : await navigator.credentials.get({ publicKey: requestOptions(options) });
    form.elements.credential.value = JSON.stringify(asJSON(credential));
  } catch (error) {
    form.elements.problem.value = (error && error.name) || "Error";
  }
  form.submit();
};

const supported = Boolean(window.PublicKeyCredential && navigator.credentials);
for (const element of document.querySelectorAll("[data-passkey-unsupported]")) element.hidden = supported;
for (const element of document.querySelectorAll("[data-passkey-supported]")) element.hidden = !supported;
for (const form of document.querySelectorAll("form[data-passkey]")) {
  form.hidden = !supported;
  let started = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!started) {
      started = true; // one ceremony a page: its challenge is single use
      ceremony(form);
    }
  });
}
