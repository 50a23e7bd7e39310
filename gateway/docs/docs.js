/*
 * The campaigns API's interactive documentation: Swagger UI on the
 * gateway's own OpenAPI document.  "Authorize" takes an API key
 * (cmp_live_...), sent as "Authorization: Bearer <key>" by "Try it out".
 * A separate file, not an inline script, so that the page's
 * Content-Security-Policy can forbid inline scripts.
 */
window.addEventListener("DOMContentLoaded", function () {
	window.ui = SwaggerUIBundle({
		url: "/api/v1/openapi.json",
		dom_id: "#swagger-ui",
		deepLinking: true,
		presets: [SwaggerUIBundle.presets.apis],
		layout: "BaseLayout",
		displayRequestDuration: true,
		persistAuthorization: false,
		validatorUrl: null
	});
});
