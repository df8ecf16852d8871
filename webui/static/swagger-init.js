// Starts Swagger UI on /api/v1/docs (webui/templates/swagger_ui.html). A file of the app's, not an inline script,
// so the page passes a Content-Security-Policy without 'unsafe-inline'. The settings come from the page's
// data attributes (webui/api/docs.py CONFIG).
(function () {
  var root = document.getElementById("swagger-ui-container");
  var config = JSON.parse(root.getAttribute("data-config") || "{}");
  config.url = root.getAttribute("data-spec-url");
  config.domNode = root;
  window.ui = SwaggerUIBundle(config);
})();
