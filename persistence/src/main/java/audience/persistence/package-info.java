package audience.persistence;
