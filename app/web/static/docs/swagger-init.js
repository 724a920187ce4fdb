// Starts Swagger UI on /docs (app/web/docs.py). A file and not an inline script, because the
// page's Content-Security-Policy runs scripts from the service only.
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  ...JSON.parse(root.dataset.parameters),
  url: root.dataset.openapiUrl,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
