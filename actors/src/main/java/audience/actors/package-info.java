package audience.actors;
