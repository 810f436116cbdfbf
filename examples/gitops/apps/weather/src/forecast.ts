const CITIES: Record<string, [number, number]> = { Lisbon: [38.72, -9.14], Berlin: [52.52, 13.41] };

export function forecastUrl(city: string): string {
  const [lat, lon] = CITIES[city] ?? CITIES.Lisbon!;
  return `https://api.open-meteo.com/v1/forecast?latitude=${lat}&longitude=${lon}&current=temperature_2m`;
}
