// The docs page: Swagger UI on the service's OpenAPI document, with
// nothing fetched from outside the service (no validator badge).
(function () {
  var el = document.getElementById("docs");
  window.ui = SwaggerUIBundle({
    url: el.getAttribute("data-spec"),
    domNode: el,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
