"""Datadog's v1 monitor and dashboard API through `datadog-api-client`, as plain dicts.

The client is synchronous (urllib3): callers on an event loop run these methods in a thread.
Payloads are converted to the client's models before sending, so a monitor or dashboard the
client's schema rejects fails here, with the client's message, before anything is written.
"""

from __future__ import annotations

from typing import Any

from datadog_api_client import ApiClient, Configuration
from datadog_api_client.model_utils import validate_and_convert_types
from datadog_api_client.v1.api.dashboards_api import DashboardsApi
from datadog_api_client.v1.api.monitors_api import MonitorsApi
from datadog_api_client.v1.model.dashboard import Dashboard
from datadog_api_client.v1.model.monitor import Monitor
from datadog_api_client.v1.model.monitor_update_request import MonitorUpdateRequest

from server.domain.datadog_plan import MANAGED_TAG, dashboard_key, monitor_key

Remote = dict[str, tuple[Any, dict[str, Any]]]  # sync key -> (Datadog id, resource)


class DatadogApi:
    def __init__(
        self, *, api_key: str, app_key: str, site: str = "datadoghq.com", url: str | None = None
    ) -> None:
        # `url` replaces https://api.<site> (a regional endpoint, or a local stand-in).
        self.config = Configuration(host=url) if url else Configuration()
        if not url:
            self.config.server_variables["site"] = site
        self.config.api_key["apiKeyAuth"] = api_key
        self.config.api_key["appKeyAuth"] = app_key
        self.config.enable_retry = True  # 429 and 5xx, with backoff
        self.config.max_retries = 3

    def _model(self, payload: dict[str, Any], model: type) -> Any:
        return validate_and_convert_types(payload, (model,), ["body"], True, True, self.config)

    def managed_monitors(self) -> Remote:
        with ApiClient(self.config) as client:
            found = MonitorsApi(client).list_monitors(monitor_tags=MANAGED_TAG)
        remote: Remote = {}
        for monitor in found:
            as_dict = monitor.to_dict()
            if MANAGED_TAG in as_dict.get("tags", []):
                remote[monitor_key(as_dict)] = (as_dict["id"], as_dict)
        return remote

    def create_monitor(self, payload: dict[str, Any]) -> int:
        with ApiClient(self.config) as client:
            return MonitorsApi(client).create_monitor(body=self._model(payload, Monitor)).id

    def update_monitor(self, monitor_id: int, payload: dict[str, Any]) -> None:
        body = self._model(payload, MonitorUpdateRequest)
        with ApiClient(self.config) as client:
            MonitorsApi(client).update_monitor(monitor_id=monitor_id, body=body)

    def managed_dashboards(self) -> Remote:
        remote: Remote = {}
        with ApiClient(self.config) as client:
            api = DashboardsApi(client)
            for summary in api.list_dashboards().get("dashboards", []):
                key = dashboard_key(summary.get("description"))
                if key is not None:
                    remote[key] = (summary.id, api.get_dashboard(dashboard_id=summary.id).to_dict())
        return remote

    def create_dashboard(self, payload: dict[str, Any]) -> str:
        with ApiClient(self.config) as client:
            return DashboardsApi(client).create_dashboard(body=self._model(payload, Dashboard)).id

    def update_dashboard(self, dashboard_id: str, payload: dict[str, Any]) -> None:
        body = self._model(payload, Dashboard)
        with ApiClient(self.config) as client:
            DashboardsApi(client).update_dashboard(dashboard_id=dashboard_id, body=body)
