/** Typed settings loaded from HOCON: reference.conf, then the profile overlay (local, aws, cluster). */
package audience.config;
