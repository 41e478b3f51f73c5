import { Route, Routes } from "react-router";
import { MeetingDetailsPage } from "./MeetingDetailsPage";
import { MeetingsListPage } from "./MeetingsListPage";

/**
 * MeetingsArea is the Meetings area (MT-06 … MT-23), for administrators and
 * video operators: the list at /meetings and a meeting's details at
 * /meetings/{id}. It loads on first use.
 */
export default function MeetingsArea() {
  return (
    <Routes>
      <Route index element={<MeetingsListPage />} />
      <Route path=":meetingId" element={<MeetingDetailsPage />} />
    </Routes>
  );
}
