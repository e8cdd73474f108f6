package audience.http;
