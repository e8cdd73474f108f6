package audience.devstack;

import audience.devstack.EdmSandboxFault.Call;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What the {@link EdmSandbox} holds, without HTTP: its import jobs (by id and tag), every member it imported (the
 * last profile, and in how many jobs), the scripted answers still to come and the API calls it served. Thread safe;
 * every method is one step under one lock.
 */
final class EdmSandboxState {
  /** A row is refused when its email does not look like one: something, an @, a domain with a dot. */
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
  static final String INVALID_EMAIL = "invalid email";
  static final String MISSING_MEMBER_ID = "missing memberId";
  private static final String JOB_ID_PREFIX = "sandbox-job-";

  /** One row of an import, as received. */
  record Profile(String memberId, String email, String suburb, String state) {}

  /** A refused row: its member id (empty when it had none) and why, never the email. */
  record RowError(String memberId, String reason) {}

  /** A job's state, as the contract names it (lower case on the wire). */
  enum Status { QUEUED, PROCESSING, COMPLETE, FAILED }

  /**
   * One import job: the rows that passed validation, the refused ones, and whether it is scripted to fail. Its
   * counts are final once {@link Status#COMPLETE}; a failed job imported nothing.
   */
  record Job(String jobId, String tag, Status status, int profiles, List<Profile> accepted, List<RowError> errors,
             boolean failing) {
    Job {
      accepted = List.copyOf(accepted);
      errors = List.copyOf(errors);
    }

    Job with(Status next) {
      return new Job(jobId, tag, next, profiles, accepted, errors, failing);
    }

    boolean done() {
      return status == Status.COMPLETE || status == Status.FAILED;
    }

    /** Rows imported: 0 until the job completes. */
    long imported() {
      return status == Status.COMPLETE ? accepted.size() : 0;
    }

    /** Rows refused: 0 until the job completes. */
    long rejected() {
      return status == Status.COMPLETE ? errors.size() : 0;
    }

    /** The refused rows: none until the job completes. */
    List<RowError> visibleErrors() {
      return status == Status.COMPLETE ? errors : List.of();
    }
  }

  /** A member as the sandbox holds it: the last profile imported, and by how many completed jobs. */
  record Member(Profile profile, int imports) {}

  private final Map<String, Job> jobs = new LinkedHashMap<>();
  private final Map<String, Member> members = new TreeMap<>();
  private final List<EdmSandboxFault> script = new ArrayList<>();
  private final Map<Call, Integer> calls = new EnumMap<>(Call.class);
  private long nextJob = 1;

  /** Validates each row and records a new queued job of them; a job of no valid row is a job all the same. */
  synchronized Job create(String tag, List<Profile> profiles, boolean failing) {
    List<Profile> accepted = new ArrayList<>();
    List<RowError> errors = new ArrayList<>();
    for (Profile p : profiles) {
      if (p.memberId() == null || p.memberId().isBlank()) {
        errors.add(new RowError("", MISSING_MEMBER_ID));
      } else if (p.email() == null || !EMAIL.matcher(p.email()).matches()) {
        errors.add(new RowError(p.memberId(), INVALID_EMAIL));
      } else {
        accepted.add(p);
      }
    }
    // job ids run on across resets: an id from before a reset never names a new job
    Job job = new Job(JOB_ID_PREFIX + nextJob++, tag, Status.QUEUED, profiles.size(), accepted, errors, failing);
    jobs.put(job.jobId(), job);
    return job;
  }

  /** A queued job starts processing; anything else is left as it is. */
  synchronized Optional<Job> start(String jobId) {
    Job job = jobs.get(jobId);
    if (job == null || job.status() != Status.QUEUED) {
      return Optional.ofNullable(job);
    }
    Job started = job.with(Status.PROCESSING);
    jobs.put(jobId, started);
    return Optional.of(started);
  }

  /**
   * Ends a job that is not done: a failing one fails, importing nothing; any other upserts its valid rows by member
   * id (the last row of a member in the job wins) and counts one import per member of the job.
   */
  synchronized Optional<Job> finish(String jobId) {
    Job job = jobs.get(jobId);
    if (job == null || job.done()) {
      return Optional.ofNullable(job);
    }
    if (job.failing()) {
      Job failed = job.with(Status.FAILED);
      jobs.put(jobId, failed);
      return Optional.of(failed);
    }
    Map<String, Profile> byMember = new LinkedHashMap<>();
    job.accepted().forEach(p -> byMember.put(p.memberId(), p));
    byMember.forEach((memberId, profile) -> members.merge(memberId, new Member(profile, 1),
        (old, fresh) -> new Member(profile, old.imports() + 1)));
    Job complete = job.with(Status.COMPLETE);
    jobs.put(jobId, complete);
    return Optional.of(complete);
  }

  synchronized Optional<Job> job(String jobId) {
    return Optional.ofNullable(jobs.get(jobId));
  }

  /** The most recent job created with {@code tag}. */
  synchronized Optional<Job> byTag(String tag) {
    Job last = null;
    for (Job j : jobs.values()) {
      if (j.tag().equals(tag)) {
        last = j;
      }
    }
    return Optional.ofNullable(last);
  }

  synchronized List<Job> jobs() {
    return List.copyOf(jobs.values());
  }

  /** Member id to the number of completed jobs that imported it, in member id order. */
  synchronized Map<String, Integer> importCounts() {
    Map<String, Integer> counts = new TreeMap<>();
    members.forEach((id, m) -> counts.put(id, m.imports()));
    return Collections.unmodifiableMap(counts);
  }

  synchronized Optional<Member> member(String memberId) {
    return Optional.ofNullable(members.get(memberId));
  }

  /** Appends scripted answers, after those still to come. */
  synchronized void script(List<EdmSandboxFault> faults) {
    script.addAll(faults);
  }

  synchronized List<EdmSandboxFault> pending() {
    return List.copyOf(script);
  }

  synchronized void clearScript() {
    script.clear();
  }

  /** Counts an API call and takes the first scripted answer that this kind of call may take, if any. */
  synchronized Optional<EdmSandboxFault> take(Call call) {
    calls.merge(call, 1, Integer::sum);
    for (Iterator<EdmSandboxFault> it = script.iterator(); it.hasNext(); ) {
      EdmSandboxFault f = it.next();
      if (f.on().takes(call)) {
        it.remove();
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  /** API calls served since the last reset, per kind (a scripted answer counts as a call). */
  synchronized Map<Call, Integer> calls() {
    Map<Call, Integer> out = new EnumMap<>(Call.class);
    for (Call c : Call.values()) {
      if (c != Call.ANY) {
        out.put(c, calls.getOrDefault(c, 0));
      }
    }
    return out;
  }

  /** Forgets every job, member, scripted answer and call count. */
  synchronized void reset() {
    jobs.clear();
    members.clear();
    script.clear();
    calls.clear();
  }
}
