// Starts GOV.UK Frontend's JavaScript enhancements; every page also works without it.
import { initAll } from "/static/govuk/govuk-frontend.min.js";
initAll();
