"""A geographic point value, stored as an Elasticsearch `geo_point` without any marker."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class GeoPoint(BaseModel):
    """Latitude and longitude in degrees (WGS84); stored as `{"lat": ..., "lon": ...}`."""

    model_config = ConfigDict(frozen=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
